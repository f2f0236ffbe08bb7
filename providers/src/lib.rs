//! Parsers for passive DNS provider exports and sensor logs.
