// Command openapi-merge merges the per-module OpenAPI (Swagger 2.0)
// documents protoc-gen-swagger writes from proto/loopin/*/v1/query.proto
// into the one document the node serves at /swagger/ (scripts/protocgen.sh
// runs it). Each module's operations get the module's tag and an
// operationId prefixed with it ("pools_Params"), so ids stay unique.
//
//	go run ./scripts/openapi-merge -version v1 -o OUT.json pocps=A.json pools=B.json ...
//
// Its output is deterministic: encoding/json writes map keys sorted.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"
)

func main() {
	out := flag.String("o", "", "the merged document to write")
	flag.Parse()
	if *out == "" || flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: openapi-merge -o OUT.json MODULE=FILE.json ...")
		os.Exit(2)
	}
	if err := merge(*out, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "openapi-merge:", err)
		os.Exit(1)
	}
}

func merge(out string, inputs []string) error {
	paths := map[string]any{}
	defs := map[string]any{}
	var tags []map[string]string
	sort.Strings(inputs)
	for _, in := range inputs {
		module, file, ok := strings.Cut(in, "=")
		if !ok {
			return fmt.Errorf("%q is not MODULE=FILE", in)
		}
		raw, err := os.ReadFile(file)
		if err != nil {
			return err
		}
		var doc struct {
			Paths       map[string]map[string]map[string]any `json:"paths"`
			Definitions map[string]any                       `json:"definitions"`
		}
		if err := json.Unmarshal(raw, &doc); err != nil {
			return fmt.Errorf("%s: %w", file, err)
		}
		for path, ops := range doc.Paths {
			if _, dup := paths[path]; dup {
				return fmt.Errorf("%s: path %s is also in another module", file, path)
			}
			for _, op := range ops {
				op["tags"] = []string{module}
				id, _ := op["operationId"].(string)
				op["operationId"] = module + "_" + strings.TrimPrefix(id, "Query_")
			}
			paths[path] = ops
		}
		for name, def := range doc.Definitions {
			defs[name] = def
		}
		tags = append(tags, map[string]string{"name": module, "description": "x/" + module + " queries (loopin." + module + ".v1.Query)"})
	}
	doc := map[string]any{
		"swagger": "2.0",
		"info": map[string]any{
			"title": "LooPIN REST API",
			"description": "The REST (grpc-gateway) routes of the LooPIN modules, generated from proto/loopin/*/v1/query.proto " +
				"by `make proto-gen`. Amounts are strings of uloop (1 LOOP = 10^6 uloop); durations are strings such as \"86400s\".",
			"version": "v1",
		},
		"consumes":    []string{"application/json"},
		"produces":    []string{"application/json"},
		"tags":        tags,
		"paths":       paths,
		"definitions": defs,
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(out, append(b, '\n'), 0o644)
}
