"""Secret detection: the provider token catalogue (declared data, one engine), context secrets, keyword-free
high-entropy tokens, and the guards that keep look-alikes (hashes, ids, placeholders) out."""
