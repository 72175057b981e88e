package history

import (
	"github.com/confwatch/confwatch/agent/kv"
	"github.com/confwatch/confwatch/agent/render"
)

// Renderer renders a whole prefix's state to a file's content.
type Renderer func(state *kv.Tree) ([]byte, error)

// TemplateRenderer renders as the agent renders a resource with this prefix
// and these keys: one tree per directory holding only its keys, seen through
// a kv.View, executed by the parsed template.
func TemplateRenderer(t *render.Template, prefix string, dirs []string) Renderer {
	return func(state *kv.Tree) ([]byte, error) {
		view := kv.View{Prefix: prefix}
		for _, d := range dirs {
			dt := kv.NewTree()
			var pairs []kv.Pair
			state.Scan(d, func(k, v string) bool {
				if kv.Contains(d, k) {
					pairs = append(pairs, kv.Pair{Key: k, Value: v})
				}
				return true
			})
			dt.Reset(pairs)
			view.Dirs = append(view.Dirs, kv.Dir{Key: d, Tree: dt})
		}
		return t.Execute(view.Resolved())
	}
}
