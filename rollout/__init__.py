"""Champion/challenger rollout: offline and online evidence, a promotion gate, and Helm-driven
traffic changes of the KServe canary. Depends on ``model`` only."""
