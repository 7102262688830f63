"""The documented limits of derive: sizes, literals, memory; past them input is refused before anything is allocated."""

MAX_SIZE = 4096
