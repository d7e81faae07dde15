# Reference for tests/test_lpa_mclust.py::test_conjugate_prior_is_mclusts: mclust 6.0.0's conjugate
# prior (priorControl(), Fraley & Raftery 2007) on faithful, VVV, G = 3.  Run from the repository root:
#
#     Rscript tests/data/make_mclust_prior.R
#
# set.seed(1); f <- Mclust(X, G = 3, modelNames = "VVV", prior = priorControl());
# defaultPrior(X, G = 3, modelName = "VVV"); e <- estep(X, "VVV", f$parameters);
# mstep(X, "VVV", z = e$z, prior = priorControl())
suppressMessages({library(mclust); library(jsonlite)})
X <- as.matrix(faithful)
set.seed(1)
f <- Mclust(X, G = 3, modelNames = "VVV", prior = priorControl(), verbose = FALSE)
p <- defaultPrior(X, G = 3, modelName = "VVV")
e <- estep(data = X, modelName = "VVV", parameters = f$parameters)
s <- mstep(data = X, modelName = "VVV", z = e$z, prior = priorControl())
writeLines(toJSON(list(loglik = f$loglik, bic = f$bic, estep_loglik = e$loglik, prior = p,
                       mstep_pro = s$parameters$pro, mstep_mean = unname(s$parameters$mean),
                       mstep_sigma = unname(s$parameters$variance$sigma), pro = f$parameters$pro,
                       mean = unname(f$parameters$mean), sigma = unname(f$parameters$variance$sigma)),
                  digits = NA, auto_unbox = TRUE), "tests/data/mclust_prior.json")
