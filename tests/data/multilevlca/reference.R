# multilevLCA 2.1.2 (CRAN, built from github.com/cran/multilevLCA) reference figures.
# Run from the repository root:
#   R_LIBS=/work/rlib Rscript tests/data/multilevlca/reference.R
# Writes tests/data/multilevlca/reference.csv (long format: dataset, quantity, row, col, value)
# and dataTOY.csv (the package's documented example data set, its id and 10 items; GPL >= 2 like the package).
suppressPackageStartupMessages(library(multilevLCA))
here <- "tests/data/multilevlca"
out <- list()
put <- function(dataset, fit, call) {
  ll <- tail(fit$LLKSeries, 1)
  rows <- data.frame(dataset = dataset, quantity = c("loglik", "BIClow", "BIChigh", "AIC", "iter"),
                     row = 0, col = 0, value = c(ll, fit$BIClow, fit$BIChigh, fit$AIC, fit$iter))
  om <- as.numeric(fit$vOmega)
  rows <- rbind(rows, data.frame(dataset = dataset, quantity = "omega", row = seq_along(om), col = 0, value = om))
  P <- as.matrix(fit$mPi)  # iT x iM: P(low class t | high class m)
  rows <- rbind(rows, data.frame(dataset = dataset, quantity = "pi", row = rep(seq_len(nrow(P)), ncol(P)),
                                 col = rep(seq_len(ncol(P)), each = nrow(P)), value = as.numeric(P)))
  F <- as.matrix(fit$mPhi)  # (items' response categories) x iT
  rows <- rbind(rows, data.frame(dataset = dataset, quantity = "phi", row = rep(seq_len(nrow(F)), ncol(F)),
                                 col = rep(seq_len(ncol(F)), each = nrow(F)), value = as.numeric(F)))
  rows$call <- call
  out[[length(out) + 1]] <<- rows
  write(paste(dataset, ":", call, "\n  rownames(mPhi):", paste(rownames(F), collapse = " ")), stderr())
}
# 1. the documented example: dataTOY, 10 binary items, 3 lower-level classes, 2 higher-level classes
data("dataTOY")
Y <- colnames(dataTOY)[1 + 1:10]
write.csv(dataTOY[, c("id_high", Y)], file.path(here, "dataTOY.csv"), row.names = FALSE)  # the covariates left out
t0 <- proc.time()
fit <- multiLCA(dataTOY, Y, 3, "id_high", 2, verbose = FALSE, maxIter = 1e5)
put("dataTOY", fit, 'multiLCA(dataTOY, Y = colnames(dataTOY)[1 + 1:10], iT = 3, id_high = "id_high", iM = 2, verbose = FALSE, maxIter = 1e5)')
fit3 <- multiLCA(dataTOY, Y, 3, "id_high", 3, verbose = FALSE, maxIter = 1e5)
put("dataTOY_M3", fit3, 'multiLCA(dataTOY, Y = colnames(dataTOY)[1 + 1:10], iT = 3, id_high = "id_high", iM = 3, verbose = FALSE, maxIter = 1e5)')
# 2. generated studies (tests/data/multilevlca/generate.py): 300 accounts x 1-4 respondents, 8 three-category items
for (name in c("gen_complete", "gen_missing")) {
  d <- read.csv(file.path(here, paste0(name, ".csv")))
  Yg <- paste0("q", 1:8)
  inc <- name == "gen_missing"
  fit <- multiLCA(d, Yg, 3, "id_high", 3, incomplete = inc, verbose = FALSE, maxIter = 1e5)
  put(name, fit, sprintf('multiLCA(read.csv("%s.csv"), Y = paste0("q", 1:8), iT = 3, id_high = "id_high", iM = 3, incomplete = %s, verbose = FALSE, maxIter = 1e5)', name, inc))
}
write.csv(do.call(rbind, out), file.path(here, "reference.csv"), row.names = FALSE)
