import { DEFAULT_THEME, Drawer, Menu, Modal, Notification, createTheme, darken, type CSSVariablesResolver } from '@mantine/core';

/**
 * The Mantine theme. Its colours meet WCAG 2.1 AA on every surface the app draws, in both
 * colour schemes; the e2e suite audits every screen with axe-core to keep it so.
 */
export const theme = createTheme({
  primaryColor: 'blue',
  // White on shade 6 is 3.6:1, below the 4.5:1 that button text needs; shade 8 is 5:1.
  primaryShade: { light: 8, dark: 8 },
  defaultRadius: 'md',
  // Drawers, modals and bars do not slide when the system asks for reduced motion.
  respectReducedMotion: true,
  fontFamily: 'Inter, "Segoe UI", system-ui, -apple-system, "Noto Sans", sans-serif',
  components: {
    // An icon-only close button needs a name; each dialog names its own subject, this is the fallback.
    Modal: Modal.extend({ defaultProps: { closeButtonProps: { 'aria-label': 'Close the dialog' } } }),
    Drawer: Drawer.extend({ defaultProps: { closeButtonProps: { 'aria-label': 'Close the panel' } } }),
    Notification: Notification.extend({
      defaultProps: { closeButtonProps: { 'aria-label': 'Dismiss this notification' } },
      // Mantine draws the message in a fixed gray of 3.3:1; the app's dimmed colour reads at AA.
      styles: { description: { color: 'var(--mantine-color-dimmed)' } },
    }),
    // Mantine's placeholder that holds the focus is a child of the menu with no menu role,
    // which screen readers announce as a stray item; the first item takes the focus instead.
    Menu: Menu.extend({ defaultProps: { withInitialFocusPlaceholder: false } }),
  },
});

/** Darker shades for coloured text on light surfaces: Mantine's shade 9 on shade 1 is 3.6:1 for orange, 4.3:1 for teal. */
function lightSchemeColors(): Record<string, string> {
  const variables: Record<string, string> = {};
  for (const [name, shades] of Object.entries(DEFAULT_THEME.colors)) {
    if (name === 'dark' || name === 'gray') continue;
    // Light badges, alerts and the active navigation link, also on their hover background (shade 2).
    variables[`--mantine-color-${name}-light-color`] = darken(shades[9], 0.3);
    // Outline badges and coloured text (c="red") on white.
    variables[`--mantine-color-${name}-outline`] = darken(shades[9], 0.2);
    variables[`--mantine-color-${name}-text`] = darken(shades[9], 0.2);
  }
  return variables;
}

/**
 * Dimmed text, used for every secondary line, a shade darker (lighter in dark) than
 * Mantine's, whose gray is 3.3:1 on white and 4:1 on the dark body: below AA for small text.
 * These stay at 4.5:1 or more on the body, on cards and on hovered table rows.
 */
export const cssVariablesResolver: CSSVariablesResolver = () => ({
  variables: {},
  light: { '--mantine-color-dimmed': '#636a71', ...lightSchemeColors() },
  dark: { '--mantine-color-dimmed': '#a8a8a8' },
});
