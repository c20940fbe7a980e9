"""Database base, column types, engines and migrations shared by the services."""
