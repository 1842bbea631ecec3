"""Training pipeline: data -> evidence-based model selection -> evaluated, published bundle."""
