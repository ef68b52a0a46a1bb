import '@mantine/core/styles.css';
import './i18n';
import { type CSSVariablesResolver, MantineProvider, createTheme } from '@mantine/core';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter } from 'react-router-dom';
import { App } from './App';

// The server puts a fresh nonce in this meta tag for every page; the style elements the
// component library adds carry it, so the Content-Security-Policy needs no 'unsafe-inline'.
const nonce = document.querySelector('meta[name="csp-nonce"]')?.getAttribute('content') ?? '';

// WCAG AA contrast: filled colours one shade darker than the library's default (white text
// on them reads at 4.5:1 or more), and secondary ("dimmed") text darker grey.
const theme = createTheme({ primaryShade: 8 });
const resolver: CSSVariablesResolver = (t) => ({
  variables: {},
  light: { '--mantine-color-dimmed': t.colors.gray[7] },
  dark: {},
});

const root = document.getElementById('root');
if (root) {
  createRoot(root).render(
    <StrictMode>
      <MantineProvider theme={theme} cssVariablesResolver={resolver} getStyleNonce={() => nonce} defaultColorScheme="light">
        <BrowserRouter>
          <App />
        </BrowserRouter>
      </MantineProvider>
    </StrictMode>,
  );
}
