// The WindowsRegistry module.
