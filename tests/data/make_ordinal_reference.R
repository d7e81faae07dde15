# Reference figures for tests/test_factors_ordinal.py (polychoric / tetrachoric correlations,
# alpha with check.keys, omega, fa() fit indices, VSS MAP), computed with R (Debian bookworm:
# r-base-core 4.2, r-cran-psych 2.2.9, r-cran-gparotation).  Run from the repository root:
#
#     Rscript tests/data/make_ordinal_reference.R
#
# It writes tests/data/ordinal_reference/*.csv (one file per call, the call in the file name
# and in calls.csv).  The tests never run R: they read these files.
suppressMessages({library(psych); library(GPArotation)})
out <- "tests/data/ordinal_reference"
dir.create(out, showWarnings = FALSE)
calls <- data.frame(file = character(), call = character())
put <- function(x, file, call) {
  write.csv(round(x, 10), file.path(out, file), row.names = TRUE)
  calls[nrow(calls) + 1, ] <<- c(file, call)
}
items <- psych::bfi[, 1:25]                         # 2,800 respondents, 6-point items, NA = missing
put(polychoric(items)$rho, "polychoric_bfi25.csv", "polychoric(psych::bfi[, 1:25])$rho")
x <- items[, 1:10]; x$A1 <- pmin(x$A1, 4)            # unequal categories: psych's global = FALSE, correct = .5
put(suppressWarnings(polychoric(x)$rho), "polychoric_bfi10_A1max4.csv",
    "x <- psych::bfi[, 1:10]; x$A1 <- pmin(x$A1, 4); polychoric(x)$rho")
d <- (items >= 4) * 1                                 # dichotomised: agree (4-6) vs not (1-3)
put(tetrachoric(d)$rho, "tetrachoric_bfi25_ge4.csv", "tetrachoric((psych::bfi[, 1:25] >= 4) * 1)$rho")
put(tetrachoric(lsat6)$rho, "tetrachoric_lsat6.csv", "tetrachoric(psych::lsat6)$rho")
s <- (items[1:150, c("A1", "C5", "E1", "N1", "O5", "O2")] == 6) * 1   # rare answers: empty cells, correct = .5
put(suppressMessages(tetrachoric(s, smooth = FALSE)$rho), "tetrachoric_sparse.csv",
    "tetrachoric((psych::bfi[1:150, c('A1','C5','E1','N1','O5','O2')] == 6) * 1, smooth = FALSE)$rho")
# alpha with check.keys, per Big Five scale, and omega total of one factor
scales <- list(A = 1:5, C = 6:10, E = 11:15, N = 16:20, O = 21:25)
rel <- t(sapply(names(scales), function(s) {
  a <- suppressWarnings(alpha(items[, scales[[s]]], check.keys = TRUE))
  o <- suppressWarnings(suppressMessages(omega(items[, scales[[s]]], nfactors = 1, fm = "minres", plot = FALSE)))
  c(raw_alpha = a$total$raw_alpha, std_alpha = a$total$std.alpha, average_r = a$total$average_r,
    reversed = sum(a$keys[[1]] < 0), omega_tot = o$omega.tot)
}))
put(rel, "alpha_bfi_scales.csv",
    "alpha(psych::bfi[, scale], check.keys=TRUE)$total; omega(psych::bfi[, scale], nfactors=1, fm='minres')$omega.tot")
keys <- sapply(names(scales), function(s) {
  a <- suppressWarnings(alpha(items[, scales[[s]]], check.keys = TRUE))
  paste(sub("-$", "", grep("-$", rownames(a$item.stats), value = TRUE)), collapse = " ")})   # reversed items end in "-"
write.csv(data.frame(scale = names(scales), reversed = keys), file.path(out, "alpha_bfi_keys.csv"), row.names = FALSE)
# fa() fit indices
f5 <- fa(items, 5, fm = "minres", rotate = "oblimin")
hs <- psych::Holzinger.9
f3 <- fa(hs, 3, n.obs = 145, fm = "minres", rotate = "oblimin")
fit <- rbind(bfi25_5 = c(f5$TLI, f5$RMSEA[1], f5$STATISTIC, f5$dof, f5$objective, f5$null.model, f5$n.obs),
             holzinger9_3 = c(f3$TLI, f3$RMSEA[1], f3$STATISTIC, f3$dof, f3$objective, f3$null.model, f3$n.obs))
colnames(fit) <- c("TLI", "RMSEA", "chisq", "dof", "objective", "null.model", "n.obs")
put(fit, "fa_fit.csv", "fa(psych::bfi[,1:25], 5, fm='minres', rotate='oblimin'); fa(Holzinger.9, 3, n.obs=145, fm='minres')")
m <- VSS(cor(items, use = "pairwise"), n = 8, n.obs = 2800, plot = FALSE, fm = "minres")$map
put(matrix(m, ncol = 1, dimnames = list(1:8, "map")), "vss_map_bfi25.csv", "VSS(cor(psych::bfi[,1:25], use='pairwise'), n=8)$map")
r <- matrix(c(1, .9, .9, .9, 1, -.2, .9, -.2, 1), 3)   # not positive definite
put(suppressWarnings(cor.smooth(r)), "cor_smooth.csv", "cor.smooth(matrix(c(1,.9,.9,.9,1,-.2,.9,-.2,1),3))")
write.csv(calls, file.path(out, "calls.csv"), row.names = FALSE)
cat("psych", as.character(packageVersion("psych")), "\n")
