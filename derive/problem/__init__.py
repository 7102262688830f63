"""Problems: variables with shapes, a forward computation, claims; files read, checked, found."""
