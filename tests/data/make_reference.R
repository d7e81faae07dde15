# Reference figures for tests/test_factor_count*.py, computed with R (Debian bookworm:
# r-base-core 4.2, r-cran-psych 2.2.9, r-cran-psychtools, r-cran-nfactors 2.4.1.1,
# r-cran-mclust 6.0.0, r-cran-lavaan 0.6.14, r-cran-jsonlite).  Run from the repository root:
#
#     Rscript tests/data/make_reference.R
#
# It writes tests/data/factor_count_reference.json and tests/data/mclust_reference.json.
# The tests never run R: they read these files.
suppressMessages({library(psych); library(psychTools); library(nFactors); library(mclust); library(lavaan);
                  library(jsonlite)})

items <- psychTools::bfi[, 1:25]          # the 25 Big Five items (2,800 respondents, NA = missing)
scales <- list(A = 1:5, C = 6:10, E = 11:15, N = 16:20, O = 21:25)

pa <- function(x, ...) {
  set.seed(16)
  r <- fa.parallel(x, fa = "fa", fm = "minres", n.iter = 20, plot = FALSE, ...)   # psych defaults otherwise
  list(nfact = r$nfact, fa_values = r$fa.values, fa_sim_mean = r$fa.sim)
}
pa_pc <- function(x, ...) {
  set.seed(16)
  r <- fa.parallel(x, fa = "pc", n.iter = 20, plot = FALSE, ...)
  list(ncomp = r$ncomp, pc_values = r$pc.values, pc_sim_mean = r$pc.sim)
}
rules <- function(r, n) {          # a correlation matrix and its n
  ev <- eigen(r)$values
  ns <- nScree(x = ev)             # nFactors: optimal coordinates, acceleration factor
  v <- VSS(r, n = min(8, ncol(r) - 1), n.obs = n, plot = FALSE, fm = "minres")
  list(kaiser = sum(ev > 1), noc = ns$Components$noc, naf = ns$Components$naf,
       map = which.min(v$map), map_values = v$map)
}

out <- list()
out$call <- paste("psych", packageVersion("psych"), "nFactors", packageVersion("nFactors"),
                  "; set.seed(16); fa.parallel(x, fa='fa', fm='minres', n.iter=20, plot=FALSE);",
                  "nScree(eigen(cor(x, use='pairwise'))$values); VSS(R, n=min(8,p-1), n.obs=n, fm='minres')$map")
out$bfi_check <- list(n = nrow(items), missing = sum(is.na(items)), colsums = colSums(items, na.rm = TRUE))
r25 <- cor(items, use = "pairwise")
out$bfi25 <- c(pa(items), pa_pc(items), rules(r25, nrow(items)))
for (s in names(scales)) {
  x <- items[, scales[[s]]]
  out[[paste0("bfi_", s)]] <- c(pa(x), pa_pc(x), rules(cor(x, use = "pairwise"), nrow(x)))
}
hs <- lavaan::HolzingerSwineford1939[, paste0("x", 1:9)]
out$holzinger_swineford_1939 <- c(pa(hs), pa_pc(hs), rules(cor(hs), nrow(hs)))
mats <- list(Harman74 = list(Harman74.cor$cov, Harman74.cor$n.obs, 4), Thurstone = list(Thurstone, 213, 3),
             Holzinger.9 = list(Holzinger.9, 145, 3), Harman.8 = list(Harman.8, 305, 2),
             Tucker = list(Tucker, 710, 2), Bechtoldt.1 = list(Bechtoldt.1, 212, 6),
             Holzinger = list(Holzinger, 355, 4))
out$matrices <- list()
for (m in names(mats)) {
  r <- as.matrix(mats[[m]][[1]]); n <- mats[[m]][[2]]
  res <- c(pa(r, n.obs = n), pa_pc(r, n.obs = n), rules(r, n))
  res$n_obs <- n; res$documented <- mats[[m]][[3]]; res$items <- colnames(r)
  res$correlation <- unname(r)
  out$matrices[[m]] <- res
}
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), "tests/data/factor_count_reference.json")

# mclust: BIC per covariance structure and number of clusters on iris (the 4 measurements)
x <- as.matrix(iris[, 1:4])
b <- mclustBIC(x, G = 1:6, modelNames = c("EII", "VII", "EEI", "VVI", "EEE", "VVV"))
best <- summary(b, x)
mc <- list(call = paste("mclust", packageVersion("mclust"),
                        "; mclustBIC(as.matrix(iris[,1:4]), G=1:6, modelNames=c('EII','VII','EEI','VVI','EEE','VVV'))"),
           data = unname(x), G = 1:6, bic = lapply(colnames(b), function(m) unname(b[, m])),
           best_model = best$modelName, best_G = best$G)
names(mc$bic) <- colnames(b)
writeLines(toJSON(mc, digits = NA, auto_unbox = TRUE, pretty = TRUE), "tests/data/mclust_reference.json")
