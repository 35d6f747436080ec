#!/usr/bin/env node
// The installed `mulki` command (tracked as executable, unlike the compiled dist/ files).
import '../dist/src/cli/main.js';
