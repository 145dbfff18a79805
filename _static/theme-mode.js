/* pydata-sphinx-theme reads the colour mode from <html data-mode>, which its inline script
 * sets from localStorage or else to "" (sphinx-book-theme offers no default_mode option);
 * "" makes the theme log "invalid theme mode" on every first visit. Default to "auto". */
if (!document.documentElement.dataset.mode) {
  document.documentElement.dataset.mode = "auto";
}
