"""Pure metric arithmetic: no Faust, no Kafka, no I/O. Agents call it; tests replay it."""
