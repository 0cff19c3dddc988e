// The XMLSupport module.
