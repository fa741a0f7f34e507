import { createApp } from 'vue'
import ElementPlus from 'element-plus'
import zhCn from 'element-plus/es/locale/lang/zh-cn'
import 'element-plus/dist/index.css'

import App from './App.vue'
import router from './router.js'

// The national platform's screens label the page jumper "跳至 … 页", where Element Plus's zh-CN
// locale has "前往".
const locale = {
  ...zhCn,
  el: { ...zhCn.el, pagination: { ...zhCn.el.pagination, goto: '跳至' } },
}

createApp(App).use(ElementPlus, { locale }).use(router).mount('#app')
