# Cronbach's alpha and its Feldt interval by hand in base R (psych is not needed), for
# tests/analysis/test_reliability.py. Run from the repository root:
#   Rscript tests/analysis/r/alpha.R
# alpha = k/(k-1) * (1 - sum(item variances) / variance(total)); Feldt (1965) interval
# 1 - (1 - alpha) * qf(c(1 - g/2, g/2), n - 1, (n - 1)(k - 1)), as psych::alpha.ci.
x <- rbind(c(4, 5, 4), c(3, 3, 2), c(5, 5, 5), c(2, 3, 3), c(4, 4, 5), c(1, 2, 2), c(5, 4, 4), c(3, 4, 3))
k <- ncol(x); n <- nrow(x)
a <- k / (k - 1) * (1 - sum(apply(x, 2, var)) / var(rowSums(x)))
ci <- 1 - (1 - a) * qf(c(0.975, 0.025), n - 1, (n - 1) * (k - 1))
cat(sprintf("alpha = %.15g\nlow = %.15g\nhigh = %.15g\n", a, ci[1], ci[2]))
