// The PKI module.
