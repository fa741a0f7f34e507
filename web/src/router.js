import { createRouter, createWebHistory } from 'vue-router'

import { audienceRedirect, portalRoutes } from './portalRoutes.js'
import { isSchoolUser, loadSession, session } from './session.js'

const routes = [
  { path: '/login', name: 'login', component: () => import('./views/LoginView.vue'), meta: { public: true } },
  // The public verification of printed agreements. Their QR codes link here.
  { path: '/verify', name: 'verify', component: () => import('./views/VerifyView.vue'), meta: { public: true } },
  { path: '/', name: 'modules', component: () => import('./views/ModuleSelectView.vue') },
  {
    path: '/employment',
    component: () => import('./views/EmploymentLayout.vue'),
    children: [
      { path: '', name: 'home', component: () => import('./views/HomeView.vue'), meta: { title: '首页' } },
      {
        path: 'accounts',
        name: 'accounts',
        component: () => import('./views/AccountsView.vue'),
        meta: { title: '账号管理', schoolOnly: true },
      },
      {
        path: 'signing-settings',
        name: 'signingSettings',
        component: () => import('./views/SigningSettingsView.vue'),
        meta: { title: '签约设置', schoolOnly: true },
      },
      {
        path: 'roster',
        name: 'roster',
        component: () => import('./views/RosterView.vue'),
        meta: { title: '学生名单管理' },
      },
      {
        path: 'online-signings',
        name: 'onlineSignings',
        component: () => import('./views/OnlineSigningsView.vue'),
        meta: { title: '在线签约管理' },
      },
      {
        path: 'paper-registrations',
        name: 'paperRegistrations',
        component: () => import('./views/PaperRegistrationsView.vue'),
        meta: { title: '已签纸质就业协议登记信息管理（补登管理）' },
      },
      {
        path: 'invalidated',
        name: 'invalidated',
        component: () => import('./views/InvalidatedView.vue'),
        meta: { title: '失效信息管理' },
      },
      {
        path: 'warnings',
        name: 'warnings',
        component: () => import('./views/WarningsView.vue'),
        meta: { title: '预警单位管理', schoolOnly: true },
      },
      {
        path: 'statistics',
        name: 'statistics',
        component: () => import('./views/StatisticsView.vue'),
        meta: { title: '数据统计' },
      },
    ],
  },
  ...portalRoutes,
  { path: '/:pathMatch(.*)*', redirect: '/' },
]

const router = createRouter({ history: createWebHistory(), routes })

router.beforeEach(async (to) => {
  if (to.meta.public) return true
  if (!(await loadSession())) return { name: 'login', query: { redirect: to.fullPath } }
  const elsewhere = audienceRedirect(to, session.user)
  if (elsewhere) return elsewhere
  if (to.meta.schoolOnly && !isSchoolUser.value) return { name: 'home' }
  return true
})

export default router
