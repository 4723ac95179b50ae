/* A listing's filters fold away behind "Filters" on a phone, so that pictures come first; on a
   wider screen they stand open beside the pictures. */
(function () {
  "use strict";

  const fold = document.getElementById("filters-fold");
  if (fold && window.matchMedia("(min-width: 801px)").matches) fold.open = true;
})();
