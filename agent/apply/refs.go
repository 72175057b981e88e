package apply

import (
	"text/template"
	"text/template/parse"
)

// UsesSrc reports whether command template cmd references {{.src}} (as a
// field anywhere in it: {{.src}}, {{$.src}}, inside if, with or a pipeline),
// decided from the parsed template, not the text, so "-p /x/ng.src" is no
// reference. A template that does not parse reports false; Expand gives its
// error.
func UsesSrc(cmd string) bool {
	t, err := template.New("cmd").Parse(cmd)
	if err != nil || t.Tree == nil {
		return false
	}
	return refersTo(t.Tree.Root, "src")
}

// refersTo walks a parse tree for a field chain starting with name.
func refersTo(n parse.Node, name string) bool {
	switch n := n.(type) {
	case nil:
		return false
	case *parse.ListNode:
		if n == nil {
			return false
		}
		for _, c := range n.Nodes {
			if refersTo(c, name) {
				return true
			}
		}
	case *parse.ActionNode:
		return refersTo(n.Pipe, name)
	case *parse.PipeNode:
		if n == nil {
			return false
		}
		for _, c := range n.Cmds {
			if refersTo(c, name) {
				return true
			}
		}
	case *parse.CommandNode:
		for _, a := range n.Args {
			if refersTo(a, name) {
				return true
			}
		}
	case *parse.FieldNode:
		return len(n.Ident) > 0 && n.Ident[0] == name
	case *parse.VariableNode: // $.src
		return len(n.Ident) > 1 && n.Ident[0] == "$" && n.Ident[1] == name
	case *parse.ChainNode:
		return refersTo(n.Node, name)
	case *parse.IfNode:
		return refersTo(n.Pipe, name) || refersTo(n.List, name) || refersTo(n.ElseList, name)
	case *parse.WithNode:
		return refersTo(n.Pipe, name) || refersTo(n.List, name) || refersTo(n.ElseList, name)
	case *parse.RangeNode:
		return refersTo(n.Pipe, name) || refersTo(n.List, name) || refersTo(n.ElseList, name)
	}
	return false
}
