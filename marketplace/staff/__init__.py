"""Staff console: organisation verification and the e-mail outbox."""
