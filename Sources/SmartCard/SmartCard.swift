// The SmartCard module.
