# Reference figures for the latent transition model (workbench/segments/_lta.py), from depmixS4
# 1.5-1 built from source (fetch cran/depmixS4; R CMD INSTALL -l /work/rlib depmixS4).
# Data: make_lta_data.py writes generated.csv, covariate.csv and arthritis.csv (long format, one row per
# respondent and occasion, NA where not interviewed / not answered).
# Run: Rscript make_lta_reference.R   (writes lta_reference.json)
.libPaths(c("/work/rlib", .libPaths()))
suppressMessages(library(depmixS4))
library(jsonlite)

best_fit <- function(mod, n_starts, seed) {
  set.seed(seed)
  best <- NULL
  for (i in seq_len(n_starts)) {
    f <- try(fit(mod, emcontrol = em.control(random.start = TRUE, tol = 1e-10, crit = "relative", maxit = 10000),
                 verbose = FALSE), silent = TRUE)
    if (inherits(f, "try-error")) next
    if (is.null(best) || logLik(f) > logLik(best)) best <- f
  }
  best
}

figures <- function(f, items, covariate = NULL) {
  k <- f@nstates
  init <- as.numeric(predict(f@prior)[1, ])
  trans <- lapply(seq_len(k), function(i) predict(f@transition[[i]]))
  out <- list(
    loglik = as.numeric(logLik(f)), npar = attr(logLik(f), "df"), nstates = k,
    initial = init,
    items = lapply(setNames(seq_along(items), items), function(j)
      t(sapply(seq_len(k), function(s) as.numeric(f@response[[s]][[j]]@parameters$coefficients))))
  )
  if (is.null(covariate)) {
    out$transition <- t(sapply(trans, function(p) as.numeric(p[1, ])))
  } else {  # the multinomial-logit coefficients (first state the reference) and the data's x
    out$coefficients <- lapply(seq_len(k), function(i) f@transition[[i]]@parameters$coefficients)
    out$x <- as.numeric(f@transition[[1]]@x[, 2])
  }
  out
}

# 1. a generated panel: 600 respondents, 2 waves, 6 items of 3 categories, 3 segments
g <- read.csv("generated.csv", stringsAsFactors = FALSE)
items <- paste0("q", 1:6)
for (q in items) g[[q]] <- factor(g[[q]], levels = 1:3)
mod_g <- depmix(lapply(items, function(q) as.formula(paste(q, "~ 1"))), data = g, nstates = 3,
                family = rep(list(multinomial("identity")), 6), ntimes = as.numeric(table(g$respondent)))
t0 <- proc.time()
fit_g <- best_fit(mod_g, 20, 1)
secs_g <- (proc.time() - t0)[["elapsed"]]

# 2. multgee's arthritis trial: self-assessment (1-5) at baseline, months 1, 3 and 5; 2 states
a <- read.csv("arthritis.csv")
a$y <- factor(a$y, levels = 1:5)
mod_a <- depmix(y ~ 1, data = a, nstates = 2, family = multinomial("identity"), ntimes = as.numeric(table(a$id)))
fit_a <- best_fit(mod_a, 20, 2)
# 3. a generated panel with a covariate x on the transitions (multinomial logit), 2 states
cv <- read.csv("covariate.csv", stringsAsFactors = FALSE)
items_c <- paste0("q", 1:5)
for (q in items_c) cv[[q]] <- factor(cv[[q]], levels = 1:3)
mod_c <- depmix(lapply(items_c, function(q) as.formula(paste(q, "~ 1"))), data = cv, nstates = 2,
                family = rep(list(multinomial("identity")), 5), ntimes = as.numeric(table(cv$respondent)),
                transition = ~ x)
fit_c <- best_fit(mod_c, 5, 3)

ref <- list(
  depmixS4 = as.character(packageVersion("depmixS4")), R = R.version.string,
  generated = c(figures(fit_g, items), list(seconds_20_starts = secs_g)),
  arthritis = figures(fit_a, "y"),
  covariate = figures(fit_c, items_c, covariate = "x")
)
writeLines(toJSON(ref, digits = NA, auto_unbox = TRUE, pretty = TRUE), "lta_reference.json")
