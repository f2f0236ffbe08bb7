//! The deterministic synthetic pDNS data generator used by the benchmarks.
