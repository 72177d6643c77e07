"""A reproducible secrets corpus: token makers from the providers' public formats, surroundings, and the generator."""
