# Reference for tests/test_lpa_mclust.py::test_mclusts_bfi_vvi_6_is_not_converged: the start mclust
# used for the bfi scale scores (its hierarchical clustering, model "VVV" on the scaled SVD, on a
# random subset of 2,000 respondents since n > 2,000) cut at 6 clusters, and mclust's VVI,6
# log-likelihood.  Debian bookworm: r-base-core 4.2, r-cran-mclust 6.0.0, r-cran-psych, jsonlite.
# Run from the repository root:  Rscript tests/data/make_mclust_hc_start.R
suppressMessages({library(mclust); library(psych); library(jsonlite)})
items <- psych::bfi[, 1:25]
items <- items[complete.cases(items), ]
rev <- c("A1", "C4", "C5", "E1", "E2", "O2", "O5")
items[, rev] <- 7 - items[, rev]
X <- sapply(c("A", "C", "E", "N", "O"), function(s) rowMeans(items[, paste0(s, 1:5)]))
set.seed(1); b <- mclustBIC(X, G = 1:9)               # the call of make_mclust_lpa.R
ini <- attr(b, "initialization")
m <- Mclust(X, G = 6, modelNames = "VVI", x = b)
write(toJSON(list(
  comment = paste("mclust 6.0.0 on the bfi scale scores (tests/data/make_mclust_hc_start.R): set.seed(1);",
                  "b <- mclustBIC(X, G = 1:9); the hierarchical start mclust used (hc modelName 'VVV', use 'SVD', on a",
                  "random subset of 2,000: 1-based rows) cut at G = 6 (hclass), and mclust's VVI,6 log-likelihood"),
  subset = ini$subset, class_6 = hclass(ini$hcPairs, 6)[, 1], loglik_vvi_6 = m$loglik,
  hc_model = attr(ini$hcPairs, "modelName"), hc_use = attr(ini$hcPairs, "use")),
  auto_unbox = TRUE, digits = NA), "tests/data/mclust_bfi_hc_start.json")
