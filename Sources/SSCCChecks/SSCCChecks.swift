// The SSCCChecks module.
