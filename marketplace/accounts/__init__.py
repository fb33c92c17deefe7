"""Users, organisations, sign-in, password reset and organisation verification."""
