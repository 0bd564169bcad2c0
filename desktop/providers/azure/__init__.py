"""Azure DevTest Labs through azure-identity and azure-mgmt-devtestlabs (imported lazily)."""
