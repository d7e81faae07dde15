# Reference figures for workbench.factors.rules.comparison_data: Ruscio & Roche's (2012) comparison data
# by the authors' own R code, RGenData 1.0.1 (CRAN; GenDataPopulation), on the same data.
# RGenData's EFACompData only prints the count, so its loop is written out below unchanged
# except that the mean RMSR of the eigenvalues and the p value per k are kept.
# Run from the repository root (RGenData installed into /work/rlib with R CMD INSTALL):
#   Rscript tests/data/make_comparison_data_reference.R \
#     planted3=tests/data/comparison_data/planted3.csv planted2=tests/data/comparison_data/planted2.csv \
#     planted1=tests/data/comparison_data/planted1.csv hs9=tests/data/comparison_data/hs9.csv \
#     bfiA=bfi:A1,A2,A3,A4,A5 bfiC=bfi:C1,C2,C3,C4,C5 bfiE=bfi:E1,E2,E3,E4,E5
# planted*.csv: tests/test_factor_count_rules.py's sample(planted(k, per, loading, phi), n, seed) for
# (3, 4, .7, .2, 400, 9), (2, 5, .6, .3, 300, 5), (1, 6, .6, 0, 300, 1); hs9.csv: lavaan's
# HolzingerSwineford1939 x1-x9 (semopy's copy); bfi: psych::bfi, complete rows of the scale.
# f.max = min(8, floor(items / 2)) (5 items: 2, as workbench's identifiability bound).
.libPaths(c("/work/rlib", .libPaths()))
library(RGenData); library(psych); library(jsonlite)
# EFACompData's loop (RGenData 1.0.1) with the mean RMSR and p per k kept
cd <- function(data, f.max, n.pop = 10000, n.samples = 500, alpha = .30) {
  n <- nrow(data); p <- ncol(data)
  eigs.data <- eigen(cor(data))$values
  rmsr <- matrix(0, n.samples, f.max); pv <- rep(NA, f.max); sig <- TRUE; f.cd <- 1
  set.seed(1)
  while (f.cd <= f.max & sig) {
    pop <- GenDataPopulation(data, n.factors = f.cd, n.cases = n.pop)
    for (j in 1:n.samples) {
      samp <- pop[sample(1:n.pop, size = n, replace = TRUE), ]
      e <- eigen(cor(samp))$values
      rmsr[j, f.cd] <- sqrt(sum((e - eigs.data)^2) / p)
    }
    if (f.cd > 1) { pv[f.cd] <- wilcox.test(rmsr[, f.cd], rmsr[, f.cd - 1], "less")$p.value; sig <- pv[f.cd] < alpha }
    if (sig) f.cd <- f.cd + 1
  }
  tried <- min(f.cd, f.max)
  list(count = f.cd - 1, rmsr = colMeans(rmsr)[1:tried], p = pv[1:tried])
}
args <- commandArgs(TRUE)
out <- list()
for (a in args) {
  nm <- sub("=.*", "", a); what <- sub(".*=", "", a)
  x <- if (grepl("^bfi:", what)) na.omit(as.matrix(bfi[, strsplit(sub("bfi:", "", what), ",")[[1]]])) else as.matrix(read.csv(what))
  t0 <- Sys.time()
  out[[nm]] <- cd(x, f.max = min(8, floor(ncol(x) / 2)))
  cat(nm, out[[nm]]$count, format(Sys.time() - t0), "\n")
}
write_json(out, "tests/data/comparison_data_reference.json", digits = 8, auto_unbox = TRUE)
