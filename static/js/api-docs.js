// Issue 13: starts Swagger UI on /api/docs/ (templates/api_docs/swagger.html). A file of its
// own because the Content-Security-Policy allows no inline script. The schema's address and
// the CSRF token (for "Try it out" with the browser session) come from data attributes.
"use strict";

(function () {
  const root = document.getElementById("swagger-ui");
  if (!root || typeof SwaggerUIBundle === "undefined") {
    return;
  }
  const csrfToken = root.dataset.csrfToken;
  window.ui = SwaggerUIBundle({
    url: root.dataset.schemaUrl,
    dom_id: "#swagger-ui",
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    deepLinking: true,
    persistAuthorization: false,
    // Unsafe requests made with the session need Django's CSRF header (token requests ignore it).
    requestInterceptor: function (request) {
      if (request.method && request.method !== "GET" && csrfToken) {
        request.headers["X-CSRFToken"] = csrfToken;
      }
      return request;
    },
  });
})();
