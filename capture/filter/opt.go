package filter

func optimize(root *block) *block { return root }
