import './styles/theme.css';
import { mount } from 'svelte';
import App from './App.svelte';
import { detectRole } from './lib/role';

const target = document.getElementById('app');
if (!target) throw new Error('#app is missing from index.html');

export default mount(App, { target, props: { role: detectRole() } });
