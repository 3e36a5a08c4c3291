"""Architecture budgets (`check`) and the comparison of two networks (`diff`)."""
