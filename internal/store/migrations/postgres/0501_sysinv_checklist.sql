-- The requirement checklist per level: the management and technical
-- requirement groups of Circular 12/2022/TT-BTTTT (and the national
-- standard TCVN 11930:2017 it refers to), one item per requirement area.
-- The item texts are a SUMMARY written for the checklist, not the legal
-- text; coordinators edit them in the application. min_level is the lowest
-- level at which the item applies.

INSERT INTO sysinv_checklist_items (code, grp, area, min_level, text_vi, text_en, position) VALUES
('M1.1', 'management', 'policy', 1, 'Có quy chế bảo đảm an toàn thông tin cho hệ thống, được ban hành và phổ biến', 'A security policy for the system is issued and made known', 10),
('M1.2', 'management', 'policy', 3, 'Quy chế được rà soát, cập nhật định kỳ hoặc khi hệ thống thay đổi', 'The policy is reviewed periodically and when the system changes', 20),
('M2.1', 'management', 'organisation', 1, 'Chỉ định đơn vị/bộ phận chuyên trách về an toàn thông tin', 'A unit in charge of information security is designated', 30),
('M2.2', 'management', 'organisation', 3, 'Có bộ phận chuyên trách với nhân sự cụ thể và đầu mối ứng cứu sự cố', 'A dedicated team with named staff and an incident response contact', 40),
('M3.1', 'management', 'staff', 1, 'Nhân sự vận hành được phổ biến, nâng cao nhận thức về an toàn thông tin', 'Operating staff receive security awareness training', 50),
('M3.2', 'management', 'staff', 3, 'Nhân sự chuyên trách được đào tạo chuyên sâu, có quy trình tuyển dụng và nghỉ việc', 'Security staff are trained in depth; hiring and leaving follow a procedure', 60),
('M4.1', 'management', 'design', 1, 'Thiết kế hệ thống có nội dung về an toàn thông tin tương ứng cấp độ', 'The system design covers security measures for its level', 70),
('M4.2', 'management', 'design', 2, 'Kiểm tra, đánh giá an toàn thông tin trước khi đưa vào vận hành', 'Security is tested and assessed before going into operation', 80),
('M4.3', 'management', 'design', 3, 'Quản lý thuê khoán phát triển phần mềm, có yêu cầu an toàn trong hợp đồng', 'Outsourced development is managed with security terms in the contract', 90),
('M5.1', 'management', 'operations', 1, 'Có quy trình vận hành, quản lý thay đổi cấu hình và tài sản', 'Operating, configuration change and asset procedures exist', 100),
('M5.2', 'management', 'operations', 2, 'Quản lý sao lưu, dự phòng và khôi phục dữ liệu', 'Backup, redundancy and recovery are managed', 110),
('M5.3', 'management', 'operations', 3, 'Có phương án ứng cứu sự cố và diễn tập định kỳ', 'An incident response plan exists and is drilled periodically', 120),
('M5.4', 'management', 'operations', 3, 'Giám sát an toàn thông tin, lưu nhật ký tối thiểu 30 ngày, báo cáo hằng tuần', 'Security monitoring; logs kept at least 30 days; weekly monitoring report', 130),
('M6.1', 'management', 'assessment', 1, 'Kiểm tra, đánh giá an toàn thông tin và quản lý rủi ro định kỳ', 'Security is checked, assessed and risks managed periodically', 140),
('M6.2', 'management', 'assessment', 3, 'Đánh giá rủi ro hằng năm (6 tháng một lần với cấp độ 5), có tổ chức độc lập', 'Risk assessment yearly (every 6 months at level 5), by an independent body', 150),
('T1.1', 'technical', 'network', 1, 'Phân vùng mạng, có tường lửa kiểm soát truy cập biên', 'The network is segmented and a firewall controls the perimeter', 200),
('T1.2', 'technical', 'network', 2, 'Kiểm soát truy cập từ xa, quản trị qua kênh an toàn', 'Remote access is controlled; administration over a secure channel', 210),
('T1.3', 'technical', 'network', 3, 'Có hệ thống phát hiện, phòng chống xâm nhập và chống tấn công từ chối dịch vụ', 'Intrusion detection/prevention and denial-of-service protection', 220),
('T1.4', 'technical', 'network', 3, 'Nhật ký của thiết bị mạng được thu thập tập trung', 'Network device logs are collected centrally', 230),
('T2.1', 'technical', 'server', 1, 'Xác thực, quản lý tài khoản và mật khẩu trên máy chủ', 'Authentication, account and password management on servers', 240),
('T2.2', 'technical', 'server', 2, 'Cập nhật bản vá, cấu hình cứng hóa và phòng chống mã độc cho máy chủ', 'Servers are patched, hardened and protected against malware', 250),
('T2.3', 'technical', 'server', 3, 'Xác thực hai yếu tố cho tài khoản quản trị', 'Two-factor authentication for administrator accounts', 260),
('T3.1', 'technical', 'application', 1, 'Ứng dụng xác thực người dùng và kiểm soát truy cập', 'Applications authenticate users and control access', 270),
('T3.2', 'technical', 'application', 2, 'Kiểm tra dữ liệu đầu vào, chống các lỗ hổng ứng dụng web phổ biến', 'Input is validated; common web application flaws are prevented', 280),
('T3.3', 'technical', 'application', 3, 'Mã hóa đường truyền (TLS) và ghi nhật ký hoạt động ứng dụng', 'Traffic is encrypted (TLS) and application activity is logged', 290),
('T4.1', 'technical', 'data', 1, 'Sao lưu dữ liệu quan trọng định kỳ', 'Important data is backed up regularly', 300),
('T4.2', 'technical', 'data', 3, 'Mã hóa dữ liệu cá nhân và dữ liệu quan trọng khi lưu trữ', 'Personal and important data is encrypted at rest', 310),
('T4.3', 'technical', 'data', 4, 'Sao lưu dự phòng ở vị trí địa lý khác, kiểm tra khôi phục định kỳ', 'Off-site backups with periodic restore tests', 320),
('T4.4', 'technical', 'data', 5, 'Hệ thống dự phòng nóng, bảo đảm hoạt động liên tục 24/7', 'A hot standby keeps the system running 24/7', 330);
