package kavach

import kavachv1 "github.com/kavach-dev/kavach/clients/go/gen/kavach/v1"

// Permission helpers, after the seed SDK's kavachos.permissions: each returns a new
// *kavachv1.Permission, and the With*/RateLimited wrappers return a copy with one constraint added.

// Read allows the "read" action on resource (a pattern such as "mcp:github:*").
func Read(resource string) *kavachv1.Permission { return Actions(resource, "read") }

// Write allows the "write" action on resource.
func Write(resource string) *kavachv1.Permission { return Actions(resource, "write") }

// Execute allows the "execute" action on resource.
func Execute(resource string) *kavachv1.Permission { return Actions(resource, "execute") }

// ReadWrite allows "read" and "write" on resource.
func ReadWrite(resource string) *kavachv1.Permission { return Actions(resource, "read", "write") }

// FullAccess allows every action ("*") on resource.
func FullAccess(resource string) *kavachv1.Permission { return Actions(resource, "*") }

// Actions allows the given actions on resource.
func Actions(resource string, actions ...string) *kavachv1.Permission {
	return &kavachv1.Permission{Resource: resource, Actions: append([]string(nil), actions...)}
}

// withConstraints returns a deep copy of p whose constraints edit has changed.
func withConstraints(p *kavachv1.Permission, edit func(*kavachv1.Constraints)) *kavachv1.Permission {
	out := &kavachv1.Permission{Resource: p.GetResource(), Actions: append([]string(nil), p.GetActions()...)}
	c := &kavachv1.Constraints{}
	if p.GetConstraints() != nil {
		old := p.GetConstraints()
		c.MaxCallsPerHour = old.MaxCallsPerHour
		c.IpAllowlist = append([]string(nil), old.GetIpAllowlist()...)
		c.TimeWindow = old.GetTimeWindow()
		c.ArgumentRules = append([]*kavachv1.ArgumentRule(nil), old.GetArgumentRules()...)
		c.RequireApproval = old.GetRequireApproval()
	}
	edit(c)
	out.Constraints = c
	return out
}

// WithApproval requires a human approval before each use of p.
func WithApproval(p *kavachv1.Permission) *kavachv1.Permission {
	return withConstraints(p, func(c *kavachv1.Constraints) { c.RequireApproval = true })
}

// RateLimited allows at most maxCallsPerHour allowed calls per sliding hour.
func RateLimited(p *kavachv1.Permission, maxCallsPerHour uint32) *kavachv1.Permission {
	return withConstraints(p, func(c *kavachv1.Constraints) { c.MaxCallsPerHour = &maxCallsPerHour })
}

// WithIPAllowlist allows calls only from these IPs or CIDRs.
func WithIPAllowlist(p *kavachv1.Permission, cidrs ...string) *kavachv1.Permission {
	return withConstraints(p, func(c *kavachv1.Constraints) { c.IpAllowlist = append(c.IpAllowlist, cidrs...) })
}

// WithArgumentGlob requires argument name to match glob ("*" stays within a "/" segment, "**" crosses).
func WithArgumentGlob(p *kavachv1.Permission, name, glob string) *kavachv1.Permission {
	rule := &kavachv1.ArgumentRule{Name: name, Rule: &kavachv1.ArgumentRule_Glob{Glob: glob}}
	return withConstraints(p, func(c *kavachv1.Constraints) { c.ArgumentRules = append(c.ArgumentRules, rule) })
}

// WithAllowedValues requires argument name to be one of values.
func WithAllowedValues(p *kavachv1.Permission, name string, values ...string) *kavachv1.Permission {
	rule := &kavachv1.ArgumentRule{Name: name, Rule: &kavachv1.ArgumentRule_AllowedValues{
		AllowedValues: &kavachv1.AllowedValues{Values: append([]string(nil), values...)},
	}}
	return withConstraints(p, func(c *kavachv1.Constraints) { c.ArgumentRules = append(c.ArgumentRules, rule) })
}

// WithRange requires argument name to be a number in [min, max] (inclusive).
func WithRange(p *kavachv1.Permission, name string, min, max float64) *kavachv1.Permission {
	rule := &kavachv1.ArgumentRule{Name: name, Rule: &kavachv1.ArgumentRule_Range{
		Range: &kavachv1.NumericRange{Min: &min, Max: &max},
	}}
	return withConstraints(p, func(c *kavachv1.Constraints) { c.ArgumentRules = append(c.ArgumentRules, rule) })
}
