package main

import "fmt"

// classicTmpl is confd's tutorial nginx upstream template
// (agent/render/testdata/nginx.tmpl).
const classicTmpl = `upstream apache_pool {
{{ range getvs "/services/apache/*" }}
    server {{ . }};
{{ end }}
}

server {
    listen 80;
    location / {
        proxy_pass http://apache_pool;
        proxy_redirect off;
        proxy_set_header Host $host;
        proxy_set_header X-Real-IP $remote_addr;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    }
}
`

// fullTmpl is a whole nginx.conf around the same upstream, for nginx -t.
const fullTmpl = `worker_processes 1;
error_log stderr;
events { worker_connections 64; }
http {
    access_log off;
    upstream apache_pool {
{{- range getvs "/services/apache/*" }}
        server {{ . }};
{{- end }}
    }
    server {
        listen 127.0.0.1:18080;
        location / { proxy_pass http://apache_pool; }
    }
}
`

// checkCmd is the check_cmd of section 5; DIR becomes the run's confdir.
func checkCmd(nginx string) string {
	return nginx + " -t -q -c {{.src}} -e stderr -p DIR -g 'pid DIR/x.pid;'"
}

// guards keep allow_empty and max_shrink from refusing the benchmark's own
// changes (an empty directory at 0 keys, deletes).
const guards = "allow_empty = true\nmax_shrink = \"100%\"\n"

// noBudget turns the default reload budget off, for the sections that time
// changes put one after another (each waits for the previous one's file):
// under the 1s default every change but the first would wait out the budget.
const noBudget = "min_reload_interval = \"0\"\n"

const dir = "/services/apache"

// addr is the i-th address of a key family: family 0 is the preloaded keys,
// 100 the measured changes, 200 the bursts (second octet, so up to 65,536
// keys per step of 1).
func addr(family, i int) string {
	return fmt.Sprintf("10.%d.%d.%d:8080", family+i>>16, i>>8&255, i&255)
}

// line is what the templates render for address a.
func line(a string) string { return "server " + a + ";" }
