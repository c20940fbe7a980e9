"""Authentication, authorisation, personal-data protection: used by every service."""
