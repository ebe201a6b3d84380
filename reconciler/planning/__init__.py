"""Planning: FieldChanges from the diff layer become one pure, serialisable Plan."""
