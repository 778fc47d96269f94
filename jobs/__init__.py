"""Head office's jobs for the stores, and the store-side actions they run (pulls of reference
data and customers). Imports the core only."""
