// k8s-audit's own configuration and the documented example (README: Configuration). The CLI loads
// it when run from this folder, so it must not change the committed audit of the example app.
import { defineConfig } from 'k8s-audit';

export default defineConfig({
  rules: {
    // Objects the deploy pipeline creates (sealed or external secrets) are not missing references.
    'missing-reference': ['P0', { allow: ['Secret/api-secrets', 'Secret/api-prod-secrets'] }],
  },
  // The overlays that deploy to production: rules such as stateful-single-replica raise their level there.
  production: ['**/overlays/prod'],
});
