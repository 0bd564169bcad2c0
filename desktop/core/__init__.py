"""The domain: snapshots, states, errors, config and policies. No Qt, no cloud SDKs."""
