// Package render parses confd-compatible Go templates and renders them from a
// kv.Store.
//
// Every function of confd's template language is defined with confd's exact
// semantics (kelseyhightower/confd resource/template/template_funcs.go plus
// the store functions of kelseyhightower/memkv), together with a chosen subset
// of the functions the maintained fork abtreece/confd added, and confwatch's
// two validators, hostport and mustMatch (validate.go): values are data, and
// a value that is not what the configuration expects is a render error
// naming its key (Error.Key, ErrInvalidValue). FuncNames lists them all.
//
// A Template is parsed once and may be executed concurrently with different
// stores: each execution borrows a private clone of the parsed template whose
// store functions are bound to that execution's store.
//
// Positions: Line is 1-based; Col is a 1-based byte column (0 when unknown).
// Parse errors from text/template carry only a line, so a syntax error has
// Col 0; an unknown function's column is that of its first use on the line.
package render
