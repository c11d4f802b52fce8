import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { clock, clusterStream } from "./app-context.js";
import { App } from "./App.js";
import { currentTheme, applyTheme } from "./lib/theme.js";
import { startTicker } from "./stores/now-store.js";
import "./styles/global.css";

applyTheme(currentTheme());
startTicker(clock);
clusterStream.start();

const root = document.getElementById("root");
if (root === null) throw new Error("index.html has no #root");
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
