// The CertDoctorCore module.
