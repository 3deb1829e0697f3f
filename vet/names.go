package vet

import (
	"go/types"
	"strings"

	"golang.org/x/tools/go/ssa"
)

// displayName is how a finding names a function: "handle", "(*function).handle",
// "main.func1" for the first function literal in main, as a Go stack trace
// would. Synthetic wrappers are named by the method they wrap.
func displayName(fn *ssa.Function) string {
	if parent := fn.Parent(); parent != nil {
		name := fn.Name()
		return displayName(parent) + ".func" + name[strings.LastIndexByte(name, '$')+1:]
	}
	if isBoundWrapper(fn) || fn.Synthetic != "" {
		if obj, ok := fn.Object().(*types.Func); ok {
			return methodName(obj)
		}
		return strings.TrimSuffix(fn.Name(), "$bound")
	}
	if obj, ok := fn.Object().(*types.Func); ok {
		return methodName(obj)
	}
	return fn.Name()
}

// methodName is "f" for a function, "(*T).M" or "T.M" for a method.
func methodName(obj *types.Func) string {
	sig, ok := obj.Type().(*types.Signature)
	if !ok || sig.Recv() == nil {
		return obj.Name()
	}
	t := sig.Recv().Type()
	ptr := ""
	if p, ok := t.(*types.Pointer); ok {
		t, ptr = p.Elem(), "*"
	}
	name := types.TypeString(t, func(*types.Package) string { return "" })
	if i := strings.IndexByte(name, '['); i >= 0 {
		name = name[:i]
	}
	if ptr != "" {
		return "(*" + name + ")." + obj.Name()
	}
	return name + "." + obj.Name()
}

// isBoundWrapper reports whether fn is the wrapper SSA makes for a method
// value (f.handle): its one free variable is the receiver.
func isBoundWrapper(fn *ssa.Function) bool {
	return fn.Synthetic != "" && strings.HasSuffix(fn.Name(), "$bound")
}

// accessPath renders the memory a write changes, from its root: cfg.Token,
// cache[…]; global names a package-level variable.
func accessPath(v ssa.Value, global func(*ssa.Global) string) string {
	switch v := v.(type) {
	case *ssa.Global:
		return global(v)
	case *ssa.Parameter:
		return v.Name()
	case *ssa.FreeVar:
		return v.Name()
	case *ssa.FieldAddr:
		return accessPath(v.X, global) + "." + fieldName(v.X.Type(), v.Field)
	case *ssa.Field:
		return accessPath(v.X, global) + "." + fieldName(v.X.Type(), v.Field)
	case *ssa.IndexAddr:
		return accessPath(v.X, global) + "[…]"
	case *ssa.Index:
		return accessPath(v.X, global) + "[…]"
	case *ssa.Lookup:
		return accessPath(v.X, global) + "[…]"
	case *ssa.UnOp:
		return accessPath(v.X, global)
	case *ssa.Slice:
		return accessPath(v.X, global)
	case *ssa.ChangeType:
		return accessPath(v.X, global)
	case *ssa.MakeInterface:
		return accessPath(v.X, global)
	case *ssa.TypeAssert:
		return accessPath(v.X, global)
	case *ssa.Extract:
		return accessPath(v.Tuple, global)
	}
	return "…"
}

// fieldName is the name of field i of the struct t (or *t) is.
func fieldName(t types.Type, i int) string {
	if p, ok := t.Underlying().(*types.Pointer); ok {
		t = p.Elem()
	}
	if s, ok := t.Underlying().(*types.Struct); ok && i < s.NumFields() {
		return s.Field(i).Name()
	}
	return "?"
}
