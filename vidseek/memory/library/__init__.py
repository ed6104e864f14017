"""Library-wide search: one on-disk vector index per embedding space over every video."""
