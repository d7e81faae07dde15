# Reference figures for tests/test_lca_se.py and tests/test_lca_replication.py, computed with poLCA
# 1.6.0.2 (not in Debian: its CRAN source fetched from github.com/cran/poLCA and installed with
# `R CMD INSTALL -l /work/rlib <dir>`; needs r-cran-scatterplot3d and r-cran-mass) and
# r-cran-jsonlite.  Run from the repository root:
#
#     R_LIBS=/work/rlib Rscript tests/data/make_polca_reference.R
#
# For each case: set.seed(seed); poLCA(f, data, nclass = k, nrep = 10, maxiter = 5000, tol = 1e-10,
# calc.se = TRUE, verbose = FALSE); the estimates (probs, P), their standard errors (probs.se,
# P.se: poLCA.se, the outer product of the respondents' scores, generalised-inverted, and the
# delta method), llik.  gss82 and carcinoma are also written as CSV (answers coded 1..K).
suppressMessages({library(poLCA); library(jsonlite)})
data(gss82); data(carcinoma); data(values)
write.csv(data.frame(lapply(gss82, as.integer)), "tests/data/polca_gss82.csv", row.names = FALSE)
write.csv(carcinoma, "tests/data/polca_carcinoma.csv", row.names = FALSE)
write.csv(values, "tests/data/polca_values.csv", row.names = FALSE)
fit <- function(f, data, k, seed) {
  set.seed(seed)
  m <- poLCA(f, data, nclass = k, nrep = 10, maxiter = 5000, tol = 1e-10, calc.se = TRUE, verbose = FALSE)
  list(k = k, llik = m$llik, P = m$P, P_se = m$P.se,
       probs = lapply(m$probs, unname), probs_se = lapply(m$probs.se, unname), items = names(m$probs))
}
out <- list(
  gss82_3 = fit(cbind(PURPOSE, ACCURACY, UNDERSTA, COOPERAT) ~ 1, gss82, 3, 1),
  carcinoma_3 = fit(cbind(A, B, C, D, E, F, G) ~ 1, carcinoma, 3, 1),
  values_2 = fit(cbind(A, B, C, D) ~ 1, values, 2, 1)
)
out$call <- paste("poLCA", packageVersion("poLCA"), "; set.seed(1); poLCA(f, data, nclass = k, nrep = 10,",
                  "maxiter = 5000, tol = 1e-10, calc.se = TRUE)")
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = FALSE), "tests/data/polca_reference.json")
